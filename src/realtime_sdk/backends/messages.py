# moved to backends/fastrtc/messages.py; kept while the re-cut lands
from .fastrtc.messages import RealtimeMessage as RealtimeMessage
from .fastrtc.messages import chatbot_update as chatbot_update
