//! Deployments: a deployment stage's check may fail; under the `break` rule the environment
//! is down until somebody works its rollback (the time to restore runs until the rollback is
//! done); under `keep_last_good` the environment stays up and the time to restore runs from the
//! failed deployment until the change's fix deploys.

use super::state::{CardState, ClassOfService, Sim};
use crate::policy::FailedDeploy;
use rand::RngExt;

impl Sim<'_> {
    /// A card that passed stage `s`'s check deploys, when `s` is a deployment stage. A failed
    /// deployment goes back for a fix, and under the `break` rule the environment is down until
    /// somebody rolls it back. Returns whether it failed (the card was sent back).
    pub(super) fn deployment_failed(&mut self, slot: u32, s: usize) -> bool {
        let Some(dep) = &self.model.stages[s].deployment else {
            return false;
        };
        let c = &mut self.ws.cards[slot as usize];
        let u: f64 = c.rng.random();
        let rollback = dep.rollback_effort.sample(&mut c.rng);
        let failed = u < dep.failure_probability;
        if self.warmed_up {
            self.tally.deployments += 1;
            self.tally.failed_deployments += u64::from(failed);
        }
        if failed && c.failed_deploy_at.is_nan() {
            c.failed_deploy_at = self.now;
        }
        if !failed && !c.failed_deploy_at.is_nan() {
            // Under keep-last-good the environment never broke: what is restored is the change
            // itself, when its fix deploys.
            let since = std::mem::replace(&mut c.failed_deploy_at, f64::NAN);
            if self.policy.failed_deploy == FailedDeploy::KeepLastGood
                && self.warmed_up
                && since >= self.model.warmup_h
            {
                self.tally.restores += 1;
                self.tally.restore_h += self.now - since;
            }
        }
        if failed {
            if self.policy.failed_deploy == FailedDeploy::Break && self.down_since[s].is_nan() {
                self.down_since[s] = self.now;
                self.new_rollback(s, rollback);
            }
            self.send_back(slot, s, dep.fix_in, dep.fix_effort_share, 1.0);
        }
        failed
    }

    /// A rollback task for the environment of stage `s`: a work item for anyone skilled there,
    /// ahead of everything else. It is not a card: it never counts as arrived or finished.
    pub(super) fn new_rollback(&mut self, s: usize, work: f64) {
        let slot = self.new_card(u64::MAX, ClassOfService::Expedite);
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

    /// The environment of stage `s` is restored. Downtime counts its hours inside the
    /// measured window; the time to restore counts the outages whose failed deployment was
    /// counted (it started after warm-up), each with its whole duration.
    pub(super) fn rollback_done(&mut self, slot: u32, s: usize) {
        let since = self.down_since[s];
        if self.warmed_up {
            self.tally.downtime_h += self.now - since.max(self.model.warmup_h);
            if since >= self.model.warmup_h {
                self.tally.restores += 1;
                self.tally.restore_h += self.now - since;
            }
        }
        self.down_since[s] = f64::NAN;
        let c = &mut self.ws.cards[slot as usize];
        c.state = CardState::Free;
        c.rollback = false;
        self.n_priority_cards -= 1;
        self.ws.free_slots.push(slot);
    }
}
