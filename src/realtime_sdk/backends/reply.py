# moved to backends/fastrtc/reply.py; kept while the re-cut lands
from .fastrtc.reply import ReplyFunctionResponder as ReplyFunctionResponder
