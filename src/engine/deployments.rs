//! Deployments: a deployment stage's check may fail; under the `break` rule the environment
//! is down until somebody works its rollback.

use super::state::{CardState, EXPEDITE, Sim};

impl Sim<'_> {
    /// A rollback task for the environment of stage `s`: a work item for anyone skilled there,
    /// ahead of everything else. It is not a card: it never counts as arrived or finished.
    pub(super) fn new_rollback(&mut self, s: usize, work: f64) {
        let slot = self.new_card(u64::MAX, EXPEDITE);
        let c = &mut self.ws.cards[slot as usize];
        c.rollback = true;
        // Not a card: no missing input, no blockers, not counted as a started card.
        c.input_pending = false;
        c.started = true;
        c.state = CardState::Todo;
        c.arrived = self.now;
        self.arrived_total -= 1;
        self.set_work(slot, s, work);
        self.ws.pool[s].push_front(slot);
    }

    pub(super) fn rollback_done(&mut self, slot: u32, s: usize) {
        let down = self.now - self.down_since[s];
        if self.warmed_up {
            self.tally.restores += 1;
            self.tally.downtime_h += self.now - self.down_since[s].max(self.model.warmup_h);
            self.tally.restore_h += down;
        }
        self.down_since[s] = f64::NAN;
        let c = &mut self.ws.cards[slot as usize];
        c.state = CardState::Free;
        c.rollback = false;
        self.n_priority_cards -= 1;
        self.ws.free_slots.push(slot);
    }
}
