"""The services' outbound ports, implemented with the Bot API."""
