//! The collections omnireports imports, and which document type reads each one.

use crate::map::Mapping as _;
use crate::staging::Staging;
use std::fmt;

/// Evaluates `$body` with `$doc` naming the document type of `$collection` (a
/// [`crate::map::Mapping`]): the one place where a collection, known at run time, picks the
/// types that read, map and stage its documents.
macro_rules! with_document {
    ($collection:expr, $doc:ident => $body:expr) => {
        match $collection {
            $crate::Collection::Roles => {
                type $doc = $crate::map::Role;
                $body
            }
            $crate::Collection::Permissions => {
                type $doc = $crate::map::Permission;
                $body
            }
            $crate::Collection::Users => {
                type $doc = $crate::map::User;
                $body
            }
            $crate::Collection::Departments => {
                type $doc = $crate::map::Department;
                $body
            }
            $crate::Collection::UnitMonitors => {
                type $doc = $crate::map::UnitMonitor;
                $body
            }
            $crate::Collection::Rooms => {
                type $doc = $crate::map::Room;
                $body
            }
            $crate::Collection::Trash => {
                type $doc = $crate::map::Trashed;
                $body
            }
        }
    };
}
pub(crate) use with_document;

/// A Rocket.Chat collection that omnireports imports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Collection {
    /// `rocketchat_roles`: the roles' names and descriptions.
    Roles,
    /// `rocketchat_permissions`: which roles hold each permission.
    Permissions,
    /// `users`: accounts, their roles and login tokens.
    Users,
    /// `rocketchat_livechat_department`: departments, and the units grouping them.
    Departments,
    /// `rocketchat_livechat_unit_monitors`: which monitors oversee which units.
    UnitMonitors,
    /// `rocketchat_room`: the livechat rooms are the conversations reported on.
    Rooms,
    /// `rocketchat__trash`: copies of deleted documents; those of the collections above delete
    /// their rows.
    Trash,
}

impl Collection {
    /// Every collection, in import order (roles before the users that hold them; deletions
    /// last, so that a document both exported and trashed ends deleted).
    pub const ALL: [Collection; 7] = [
        Collection::Roles,
        Collection::Permissions,
        Collection::Users,
        Collection::Departments,
        Collection::UnitMonitors,
        Collection::Rooms,
        Collection::Trash,
    ];

    /// Its name in MongoDB, which names its file in an export (`users.json`).
    pub const fn name(self) -> &'static str {
        match self {
            Collection::Roles => "rocketchat_roles",
            Collection::Permissions => "rocketchat_permissions",
            Collection::Users => "users",
            Collection::Departments => "rocketchat_livechat_department",
            Collection::UnitMonitors => "rocketchat_livechat_unit_monitors",
            Collection::Rooms => "rocketchat_room",
            Collection::Trash => "rocketchat__trash",
        }
    }

    /// The field that stamps a document's last write: what an increment asks for since.
    pub const fn stamp_field(self) -> &'static str {
        match self {
            Collection::Trash => "_deletedAt",
            _ => "_updatedAt",
        }
    }

    /// The collection named `name`, if omnireports imports it.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.name() == name)
    }

    /// The staging table its rows are COPYed into.
    pub(crate) fn staging(self) -> &'static Staging {
        with_document!(self, D => D::STAGING)
    }
}

impl fmt::Display for Collection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for collection in Collection::ALL {
            assert_eq!(Collection::from_name(collection.name()), Some(collection));
        }
        assert_eq!(Collection::from_name("rocketchat_message"), None);
    }
}
