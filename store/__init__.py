"""SafeDesk's encrypted local store: key slots, encrypted TinyDB storage,
typed records, repositories and the hash-chained audit log.

No Textual imports anywhere in this package (a test enforces it).
"""
