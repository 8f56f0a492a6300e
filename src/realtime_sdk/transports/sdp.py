# moved to transports/webrtc/sdp.py; kept while the re-cut lands
from .webrtc.sdp import SdpError as SdpError
from .webrtc.sdp import check_sdp as check_sdp
