// The observer page's only cryptography, from @noble (MIT, audited): Ed25519 (RFC 8032) to sign a
// submission with the observer's own key; X25519 (RFC 7748) to seal its content and photos to the
// mission's key (the server keeps them unread); HKDF and SHA-256 (content hashes, key IDs).
export { ed25519, x25519 } from "@noble/curves/ed25519.js";
export { sha256 } from "@noble/hashes/sha2.js";
export { hkdf } from "@noble/hashes/hkdf.js";
