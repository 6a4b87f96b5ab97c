// The only third-party code the voting page runs, re-exported from one module so it can be
// bundled into a single committed file (src/achyk/web/static/vendor/achyk-vendor.js) that
// the browser loads without a network fetch to any registry. Rebuild with `make vendor-js`.
export { secp256k1 } from "@noble/curves/secp256k1.js";
export { ed25519 } from "@noble/curves/ed25519.js";
export { sha256, sha512 } from "@noble/hashes/sha2.js";
import jsQR from "jsqr";
export { jsQR };
