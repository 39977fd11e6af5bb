"""Everything that knows Telegram: handlers, texts, keyboards, notifiers, the callback codec."""
