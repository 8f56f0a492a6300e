"""Back-ends: what generates responses. Native responders and the FastRTC adapter."""
