//! The invariant checks `simulate_audited` runs after every event.

use super::state::{CardState, NONE, Sim};
use crate::policy::Handoff;

impl Sim<'_> {
    pub(super) fn audit(&self) -> Result<(), String> {
        let ws = &self.ws;
        // Every arrived card is in exactly one place.
        let mut seen = vec![0u8; ws.cards.len()];
        let mut mark = |slot: u32, want: CardState, place: &str| -> Result<(), String> {
            let c = &ws.cards[slot as usize];
            if c.state != want {
                return Err(format!("card {} in {place} has state {:?}", c.id, c.state));
            }
            seen[slot as usize] += 1;
            Ok(())
        };
        for &c in &ws.backlog {
            mark(c, CardState::Backlog, "backlog")?;
        }
        for &c in &ws.ready {
            mark(c, CardState::Ready, "ready")?;
        }
        for q in &ws.queued_for {
            for &c in q {
                mark(c, CardState::Todo, "a person's queue")?;
            }
        }
        for s in 0..self.n_stages {
            for &c in &ws.doing[s] {
                mark(c, CardState::Doing, "doing")?;
            }
            for &c in &ws.done_waiting[s] {
                mark(c, CardState::DoneWaiting, "done")?;
            }
            for &c in &ws.pool[s] {
                mark(c, CardState::Todo, "pool")?;
            }
            for &c in &ws.orphans[s] {
                mark(c, CardState::Orphan, "orphans")?;
            }
            for &c in &ws.rework[s] {
                mark(c, CardState::Rework, "rework")?;
            }
            // Limits hold where work is pulled in; a push hand-off ignores them by design.
            let pulled_in = if s == 0 {
                !self.policy.planned()
            } else {
                matches!(self.policy.handoffs[s], Handoff::Pull { .. })
            };
            if self.policy.stage_limits
                && pulled_in
                && let Some(l) = self.model.stages[s].wip_limit
                && self.stage_wip[s] > l
            {
                return Err(format!(
                    "stage {s} WIP {} over its limit {l}",
                    self.stage_wip[s]
                ));
            }
        }
        let mut counted = vec![0u32; self.n_stages];
        let mut clarify = 0;
        for (slot, c) in ws.cards.iter().enumerate() {
            if c.state == CardState::Clarify {
                clarify += 1;
                seen[slot] += 1;
            }
            let want = u8::from(c.state != CardState::Free);
            if seen[slot] != want {
                return Err(format!(
                    "card {} ({:?}) is in {} places",
                    c.id, c.state, seen[slot]
                ));
            }
            if c.counted != NONE {
                counted[c.counted as usize] += 1;
            }
        }
        if counted != self.stage_wip {
            return Err(format!(
                "stage WIP counts {:?} but cards say {counted:?}",
                self.stage_wip
            ));
        }
        if clarify != self.n_clarify {
            return Err("clarification count is off".into());
        }
        let live = ws
            .cards
            .iter()
            .filter(|c| c.state != CardState::Free && !c.rollback)
            .count() as u64;
        if self.arrived_total != self.finished_total + live {
            return Err(format!(
                "{} arrived but {} finished and {live} live",
                self.arrived_total, self.finished_total
            ));
        }
        let committed = ws
            .cards
            .iter()
            .filter(|c| c.state != CardState::Free && !c.committed.is_nan())
            .count() as u32;
        if committed != self.system_wip {
            return Err(format!(
                "system WIP counts {} but {committed} committed",
                self.system_wip
            ));
        }
        if let Some(l) = self.policy.system_wip_limit
            && self.system_wip > l
        {
            return Err(format!("system WIP {} over its limit {l}", self.system_wip));
        }
        // People: work only while present, within their day, never more than present.
        let mut working = 0;
        for (i, ps) in ws.people.iter().enumerate() {
            let works = ps.present && ps.active != NONE;
            if ps.active != NONE && !ps.present {
                return Err(format!("person {i} works while absent"));
            }
            if works {
                working += 1;
                let c = &ws.cards[ps.active as usize];
                if c.state != CardState::Doing
                    || c.blocked
                    || !c.workers[..c.n_workers as usize].contains(&(i as u32))
                {
                    return Err(format!("person {i} works a card that does not list them"));
                }
            }
            if ps.n_held > self.model.people[i].wip_limit {
                return Err(format!("person {i} holds {} cards", ps.n_held));
            }
            if ps.present && (self.now < ps.day_start - 1e-9 || self.now > ps.day_end + 1e-9) {
                return Err(format!("person {i} present outside their day"));
            }
            let cap = self.model.people[i].max_overtime_h_per_day;
            if ps.present && ps.day_end > ps.normal_end + cap + 1e-9 {
                return Err(format!("person {i} planned overtime beyond the cap"));
            }
            let worked = ps.worked_h + if works { self.now - ps.work_since } else { 0.0 };
            let present = ps.present_h
                + if ps.present {
                    self.now - ps.day_start
                } else {
                    0.0
                };
            if worked > present + 1e-6 {
                return Err(format!(
                    "person {i} worked {worked} h but was present {present} h"
                ));
            }
        }
        if working != self.n_working {
            return Err(format!(
                "{working} people work but {} counted",
                self.n_working
            ));
        }
        Ok(())
    }
}
