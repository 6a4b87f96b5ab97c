"""Use cases: one function per action; they own transactions and talk to the core and the store."""
