//! Starling's event envelope and every detail type (see DESIGN.md, "Event contracts").
