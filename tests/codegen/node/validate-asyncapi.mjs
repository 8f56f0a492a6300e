// Validate an AsyncAPI document with the reference parser; print errors, exit 1 on any.
import { Parser, fromFile } from "@asyncapi/parser";

const parser = new Parser();
const { document, diagnostics } = await fromFile(parser, process.argv[2]).parse();
const errors = diagnostics.filter((d) => d.severity === 0);
for (const d of errors) console.log(`${d.code} ${d.path.join(".")}: ${d.message}`);
console.log(JSON.stringify({ errors: errors.length, parsed: Boolean(document),
  messages: document ? document.allMessages().length : 0 }));
process.exit(errors.length || !document ? 1 : 0);
