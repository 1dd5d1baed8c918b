//! TODO: checklist
