# moved to backends/agent/recognition.py; kept while the re-cut lands
from .agent.recognition import RecognitionError as RecognitionError
from .agent.recognition import recognizer as recognizer
