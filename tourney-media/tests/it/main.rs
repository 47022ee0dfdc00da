//! Integration tests of tourney-media: real JPEG, PNG and WebP bodies and MP4/QuickTime movies,
//! all built in code (no binary fixtures), through the public API only.

mod fixtures;
mod hostile;
mod images;
mod movies;
mod mp4_builder;
mod properties;
