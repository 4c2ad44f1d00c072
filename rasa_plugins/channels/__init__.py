"""Input channels of the Rasa server: REST, Telegram, the web widget and the staff console."""
