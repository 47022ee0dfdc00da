//! Black-box tests of the server: each test starts the real app on 127.0.0.1:0 with a fresh
//! data directory and talks HTTP to it.

mod abuse;
mod access;
mod admin;
mod awards;
mod backends;
mod cli;
mod comments;
mod concurrency;
mod crash;
mod degradation;
mod docs;
mod errors;
mod facebook;
mod featured;
mod flags;
mod game;
mod input;
mod judges;
mod media;
mod movies;
mod observability;
mod ops;
mod photo_delete;
mod profile_photo;
mod secrets;
mod seed;
mod share;
mod social;
mod support;
mod tags;
mod tournaments;
mod trending;
mod uploads;
mod web;
