//! keywarden's presentation: the domain's answers as text and SVG for people. The domain decides and explains in
//! values; this crate writes them for a terminal, a ticket, a wall or a page: [`diagnosis`] (the decision tree, a
//! diagnosis, an effective policy, as plain text), [`chart`] (the rollout chart, as SVG) and [`html`] (escaping, for
//! the chart and the server's pages).

pub mod chart;
pub mod diagnosis;
pub mod html;

#[cfg(test)]
mod tests;
