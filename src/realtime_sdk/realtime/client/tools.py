"""Python functions as Realtime function tools: a JSON schema from the signature, and a
runner that turns the model's JSON arguments into a call and the result into text."""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError, create_model


@dataclass(frozen=True)
class Tool:
    name: str
    description: str
    arguments: type[BaseModel]
    function: Callable[..., Any]

    def schema(self) -> dict[str, Any]:
        parameters = self.arguments.model_json_schema()
        parameters.pop("title", None)
        return {
            "type": "function",
            "name": self.name,
            "description": self.description,
            "parameters": parameters,
        }

    async def run(self, arguments: str) -> str:
        """Call the function; its result (or the error) as the function_call_output text."""
        try:
            parsed = self.arguments.model_validate_json(arguments or "{}")
        except ValidationError as exc:
            return json.dumps({"error": f"invalid arguments: {exc.errors()[0]['msg']}"})
        kwargs = {name: getattr(parsed, name) for name in type(parsed).model_fields}
        try:
            result = self.function(**kwargs)
            if inspect.isawaitable(result):
                result = await result
        except Exception as exc:  # the model hears about the failure, the app goes on
            return json.dumps({"error": f"{type(exc).__name__}: {exc}"})
        return result if isinstance(result, str) else json.dumps(result, default=str)


def tool_from_function(
    function: Callable[..., Any], *, name: str | None = None, description: str | None = None
) -> Tool:
    fields: dict[str, Any] = {}
    for parameter in inspect.signature(function).parameters.values():
        annotation = (
            parameter.annotation if parameter.annotation is not inspect.Parameter.empty else Any
        )
        default = parameter.default if parameter.default is not inspect.Parameter.empty else ...
        fields[parameter.name] = (annotation, default)
    model = create_model(f"{function.__name__}_arguments", **fields)
    return Tool(
        name=name or function.__name__,
        description=description or inspect.getdoc(function) or "",
        arguments=model,
        function=function,
    )
