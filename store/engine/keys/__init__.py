"""Keys: the KDF and AEAD layer, the plaintext header's key slots, slot changes, the recovery key and passphrase rules."""
