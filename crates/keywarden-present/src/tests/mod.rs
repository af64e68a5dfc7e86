//! The presentation's tests: what people read, snapshot by snapshot.

mod chart;
mod diagnosis;
mod html;
