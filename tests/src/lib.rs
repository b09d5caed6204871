//! Workspace-level tests of ibops live in `tests/`; this library is empty.
