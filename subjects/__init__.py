"""Reference subjects: an offline Inspect model provider whose preference profiles are known."""
