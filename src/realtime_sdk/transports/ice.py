# moved to transports/webrtc/ice.py; kept while the re-cut lands
from .webrtc.ice import IceConfig as IceConfig
