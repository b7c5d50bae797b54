//! Placeholder until the pipeline lands (issues 5-7).
