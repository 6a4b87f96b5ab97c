module achyk.invalid/interop

go 1.19

require golang.org/x/mod v0.7.0

// Built offline against Debian's golang-golang-x-mod-dev (no module download at build time).
replace golang.org/x/mod => /usr/share/gocode/src/golang.org/x/mod
