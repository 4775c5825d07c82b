"""Key material: the keyring, field encryption and blind indexes, signing keys as JOSE keys, rotation."""
