/// Which conversations a user may see in reports (Rocket.Chat's livechat-monitor restriction).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub enum Restriction {
    /// Everything.
    #[default]
    None,
    /// Only conversations whose `department_ancestors`, or whose department's `ancestors`,
    /// include one of these unit ids. An empty list sees nothing.
    Units(Vec<String>),
}

impl Restriction {
    /// The unit ids, as bound to a `TEXT[]` parameter; `None` when unrestricted.
    pub fn units(&self) -> Option<Vec<Option<String>>> {
        match self {
            Restriction::None => None,
            Restriction::Units(units) => Some(units.iter().cloned().map(Some).collect()),
        }
    }
}
