# moved to backends/agent/speech.py; kept while the re-cut lands
from .agent.speech import SpeechError as SpeechError
from .agent.speech import speech as speech
