//! Procedural macros for pelican (embedding migrations arrives with issue 4).
