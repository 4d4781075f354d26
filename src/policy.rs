//! Ways of working as bundles of mechanisms, and the `pull` and `flow` presets.
//!
//! A policy never names a winner: each field is one mechanism from the brief's table with its
//! own parameter, and the presets only choose values for them.

/// How cards enter the system (cross the commitment point).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Release {
    /// A free person takes the next card from the backlog (pure pull).
    OnPull,
    /// Cards are released from the backlog into a ready column to keep system WIP at its
    /// limit, every `every_h` hours (0 = continuously).
    Cadence {
        /// Replenishment interval (hours); 0 means release whenever there is room.
        every_h: f64,
    },
}

/// Which card a free person takes first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Selection {
    /// The card that arrived earliest, wherever it is.
    OldestFirst,
    /// The rightmost column first (finish before start).
    RightmostFirst,
}

/// Free people joining cards already in progress.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Swarming {
    /// Share of the summed speed that a pair or group actually delivers (0..=1].
    pub pairing_efficiency: f64,
    /// Most people on one card at once, owner included (>= 2).
    pub max_per_card: u32,
}

/// A way of working.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    /// Name shown in output.
    pub name: String,
    /// The preset it was built from (`pull`, `flow`).
    pub preset: String,
    /// How work enters.
    pub release: Release,
    /// Most committed cards in the system at once (CONWIP), if any.
    pub system_wip_limit: Option<u32>,
    /// Whether stage WIP limits are honoured (local kanban).
    pub stage_limits: bool,
    /// Which card a free person takes first.
    pub selection: Selection,
    /// Swarming, if on.
    pub swarming: Option<Swarming>,
}

/// Names of the built-in presets.
pub const PRESETS: [&str; 2] = ["pull", "flow"];

impl Policy {
    /// The `pull` preset: free skilled people take the oldest card; stages take work only when
    /// they have room; no system limit, no cadence, no swarming.
    pub fn pull() -> Self {
        Policy {
            name: "pull".into(),
            preset: "pull".into(),
            release: Release::OnPull,
            system_wip_limit: None,
            stage_limits: true,
            selection: Selection::OldestFirst,
            swarming: None,
        }
    }

    /// The `flow` preset: pull plus a system WIP limit (default: twice the team size,
    /// set per scenario), replenishment once a working day (24 h), rightmost column first and
    /// swarming at 0.7 pairing efficiency with at most two people per card.
    pub fn flow(team_size: usize) -> Self {
        Policy {
            name: "flow".into(),
            preset: "flow".into(),
            release: Release::Cadence { every_h: 24.0 },
            system_wip_limit: Some((2 * team_size).max(1) as u32),
            stage_limits: true,
            selection: Selection::RightmostFirst,
            swarming: Some(Swarming {
                pairing_efficiency: 0.7,
                max_per_card: 2,
            }),
        }
    }

    /// A preset by name.
    pub fn preset(name: &str, team_size: usize) -> Option<Self> {
        match name {
            "pull" => Some(Self::pull()),
            "flow" => Some(Self::flow(team_size)),
            _ => None,
        }
    }
}
