//! The differences of one object, gathered attribute by attribute.

use super::change::Difference;

/// The differences of one object, gathered attribute by attribute.
#[derive(Default)]
pub(super) struct Differences(pub(super) Vec<Difference>);

impl Differences {
    /// Records `attribute` when its renderings differ.
    pub(super) fn check(
        &mut self,
        attribute: impl Into<String>,
        before: Option<String>,
        after: Option<String>,
    ) {
        if before != after {
            self.0.push(Difference {
                attribute: attribute.into(),
                before,
                after,
            });
        }
    }
}
