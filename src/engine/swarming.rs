//! Swarming: free people join a card in progress at the most loaded stage they can work (the
//! one with the most cards, or the constraint).

use super::state::{NONE, Sim};
use crate::policy::SwarmTo;

impl Sim<'_> {
    /// Free people join a card in progress at the most loaded stage they can work: the one
    /// with the most cards, or under `SwarmTo::Constraint` the one with the highest load per
    /// capable person (`constraint_load`).
    pub(super) fn swarm(&mut self) {
        if self.free == 0 {
            return;
        }
        let max = self.policy.swarming.map_or(1, |s| s.max_per_card as usize);
        let to_constraint = self
            .policy
            .swarming
            .is_some_and(|s| s.to == SwarmTo::Constraint);
        // Per stage, its load and the active card a helper would join (fewest workers, then
        // oldest), worked out when a free person first looks at the stage (`known`): joining
        // a card changes neither any stage's load nor another stage's pick.
        let mut load = [0.0f64; 64];
        let mut picks = [NONE; 64];
        let mut known: u64 = 0;
        for person in 0..self.model.people.len() {
            let ps = &self.ws.people[person];
            if !ps.is_free() || self.overtime_restricted(person) {
                continue;
            }
            // The most loaded stage the person can work that has a card to join.
            let mut best: Option<(f64, usize)> = None;
            let mut bits = self.ws.skilled_stages[person];
            while bits != 0 {
                let s = bits.trailing_zeros() as usize;
                bits &= bits - 1;
                if known & (1 << s) == 0 {
                    known |= 1 << s;
                    load[s] = if to_constraint {
                        self.constraint_load(s)
                    } else {
                        f64::from(self.stage_wip[s])
                    };
                    picks[s] = self.swarm_pick(s, max);
                }
                if picks[s] != NONE && best.is_none_or(|(l, _)| load[s] > l) {
                    best = Some((load[s], s));
                }
            }
            if let Some((_, s)) = best {
                let slot = picks[s];
                let c = &mut self.ws.cards[slot as usize];
                c.workers[c.n_workers as usize] = person as u32;
                c.n_workers += 1;
                self.start_working(person, slot);
                self.reschedule(slot);
                picks[s] = self.swarm_pick(s, max);
            }
            if self.free == 0 {
                break;
            }
        }
    }

    /// Stage `s`'s load per capable person: its mean effort per card (hours at speed 1) over
    /// the summed speed of the people present who can work it (infinite when nobody present
    /// can).
    fn constraint_load(&self, s: usize) -> f64 {
        let mut capacity = 0.0;
        let mut who = self.ws.skilled_people[s];
        while who != 0 {
            let i = who.trailing_zeros() as usize;
            who &= who - 1;
            if self.ws.people[i].present {
                capacity += self.speed(i, s);
            }
        }
        self.model.stages[s].effort.mean() / capacity
    }

    fn swarm_pick(&self, s: usize, max: usize) -> u32 {
        let mut pick = NONE;
        for &c in &self.ws.doing[s] {
            let card = &self.ws.cards[c as usize];
            if card.n_workers == 0 || card.n_workers as usize >= max {
                continue;
            }
            if pick == NONE || {
                let cb = &self.ws.cards[pick as usize];
                (card.n_workers, card.arrived) < (cb.n_workers, cb.arrived)
            } {
                pick = c;
            }
        }
        pick
    }
}
