//! Deployments: a deployment stage's check may fail; under the `break` rule the environment
//! is down until somebody works its rollback (the time to restore runs until the rollback is
//! done); under `keep_last_good` the environment stays up and the time to restore runs from the
//! failed deployment until the change's fix deploys.
//!
//! GitOps (`Policy::gitops`): at each poll of a synced stage every change waiting before it
//! deploys at once, as one deployment, with no work by people. The batch fails with the
//! deployment's chance (`once`) or if any of its changes breaks it (`each_change`: each draws
//! its own chance). A failed sync serves the broken changes until the health check notices,
//! `detect_after` later: the environment is down meanwhile under either rule (so keeping the
//! last good state is not free), later syncs go on as nobody knows, and then the failed
//! changes go back for a fix; under `keep_last_good` the controller returns to the last good
//! state at once, under `break` somebody rolls it back and nothing syncs until then. An
//! expedite change may deploy alone at once (`GitOps::expedite_bypass`). Every draw comes
//! from the changes' own streams: a deployment's failure, rollback work and detection delay
//! from each change in it, in the order they waited.

use super::Event;
use super::state::{CardState, ClassOfService, Sim};
use crate::model::BatchFailure;
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
        if !failed {
            self.deployed(slot, s);
            if self.warmed_up && self.last_deploy == Some(s) {
                self.tally.last_deploys += 1;
            }
        }
        if failed {
            if self.policy.failed_deploy == FailedDeploy::Break && self.down_since[s].is_nan() {
                self.down_since[s] = self.now;
                self.beyond_feed |= 1 << s;
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
        self.beyond_feed |= 1 << s;
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
        self.recheck_beyond_feed(s);
        let c = &mut self.ws.cards[slot as usize];
        c.state = CardState::Free;
        c.rollback = false;
        self.n_priority_cards -= 1;
        self.ws.free_slots.push(slot);
    }

    /// Change `slot` deployed successfully at stage `s`: under keep-last-good, the failed
    /// deployment it fixes is restored now; at the board's last deployment stage it is
    /// delivered (the lead time for changes runs from its first hour of work).
    fn deployed(&mut self, slot: u32, s: usize) {
        let c = &mut self.ws.cards[slot as usize];
        if !c.failed_deploy_at.is_nan() {
            // Under keep-last-good the environment is restored to its last good state: what is
            // restored is the change itself, when its fix deploys.
            let since = std::mem::replace(&mut c.failed_deploy_at, f64::NAN);
            if self.policy.failed_deploy == FailedDeploy::KeepLastGood
                && self.warmed_up
                && since >= self.model.warmup_h
            {
                self.tally.restores += 1;
                self.tally.restore_h += self.now - since;
            }
        }
        if self.warmed_up && self.last_deploy == Some(s) && !c.first_work.is_nan() {
            self.tally.delivered += 1;
            self.tally.change_lead_h += self.now - c.first_work;
        }
    }

    /// Whether syncs into stage `s` wait: under `break`, its noticed failure is not rolled
    /// back yet.
    pub(super) fn sync_paused(&self, s: usize) -> bool {
        self.policy.failed_deploy == FailedDeploy::Break
            && !self.down_since[s].is_nan()
            && self.detect_at[s].is_nan()
    }

    /// Change `slot` waits in the done column before synced stage `s` for the next sync; an
    /// expedite change bypasses the poll when the policy lets it.
    pub(super) fn wait_for_sync(&mut self, slot: u32, s: usize) {
        let c = &mut self.ws.cards[slot as usize];
        c.state = CardState::DoneWaiting;
        let expedite = c.class == ClassOfService::Expedite;
        self.ws.done_waiting[s - 1].push_back(slot);
        if expedite && self.policy.gitops[s].is_some_and(|g| g.expedite_bypass) {
            self.gitops_sync(s, Some(slot));
        }
    }

    /// A GitOps sync of stage `s`: every change waiting before it (or only `only`) deploys at
    /// once as one deployment.
    pub(super) fn gitops_sync(&mut self, s: usize, only: Option<u32>) {
        if self.sync_paused(s) {
            return;
        }
        let dep = self.model.stages[s]
            .deployment
            .as_ref()
            .expect("validated: a synced stage deploys");
        let mut batch = std::mem::take(&mut self.ws.sync_batch);
        batch.clear();
        let waiting = &mut self.ws.done_waiting[s - 1];
        match only {
            Some(slot) => {
                if let Some(i) = waiting.iter().position(|&c| c == slot) {
                    waiting.remove(i);
                    batch.push(slot);
                }
            }
            None => batch.extend(waiting.drain(..)),
        }
        if batch.is_empty() {
            self.ws.sync_batch = batch;
            return;
        }
        let mut failed = false;
        let (mut detect, mut rollback) = (0.0, 0.0);
        for (k, &slot) in batch.iter().enumerate() {
            self.enter_stage(slot, s, 0.0);
            let c = &mut self.ws.cards[slot as usize];
            let u: f64 = c.rng.random();
            let rb = dep.rollback_effort.sample(&mut c.rng);
            let d = dep
                .detect_after
                .as_ref()
                .map_or(0.0, |d| d.sample(&mut c.rng));
            let breaks = u < dep.failure_probability
                && (k == 0 || dep.batch_failure == BatchFailure::EachChange);
            if breaks && !failed {
                failed = true;
                (detect, rollback) = (d, rb);
            }
        }
        if self.warmed_up {
            self.tally.deployments += 1;
            self.tally.failed_deployments += u64::from(failed);
        }
        if failed {
            for &slot in &batch {
                let c = &mut self.ws.cards[slot as usize];
                if c.failed_deploy_at.is_nan() {
                    c.failed_deploy_at = self.now;
                }
                c.state = CardState::DoneWaiting;
                self.ws.syncing[s].push(slot);
            }
            if self.down_since[s].is_nan() {
                self.down_since[s] = self.now;
                self.beyond_feed |= 1 << s;
            }
            if self.detect_at[s].is_nan() {
                self.detect_at[s] = self.now + detect;
                self.rollback_work[s] = rollback;
                self.ws
                    .queue
                    .push(self.now + detect, Event::Detect { stage: s as u32 });
            }
        } else {
            if self.warmed_up && self.last_deploy == Some(s) {
                self.tally.last_deploys += 1;
            }
            for &slot in &batch {
                self.deployed(slot, s);
                self.pass_on(slot, s);
            }
        }
        batch.clear();
        self.ws.sync_batch = batch;
    }

    /// The health check notices the failed GitOps deployment of stage `s`: its changes (and
    /// those of failed syncs since) go back for a fix; under `keep_last_good` the environment
    /// returns to its last good state now, under `break` it waits for its rollback.
    pub(super) fn gitops_detect(&mut self, s: usize) {
        self.detect_at[s] = f64::NAN;
        let dep = self.model.stages[s]
            .deployment
            .as_ref()
            .expect("validated: a synced stage deploys");
        let (fix_in, share) = (dep.fix_in, dep.fix_effort_share);
        let mut failed = std::mem::take(&mut self.ws.syncing[s]);
        for &slot in &failed {
            self.send_back(slot, s, fix_in, share, 1.0);
        }
        failed.clear();
        self.ws.syncing[s] = failed;
        match self.policy.failed_deploy {
            FailedDeploy::KeepLastGood => {
                let since = std::mem::replace(&mut self.down_since[s], f64::NAN);
                self.recheck_beyond_feed(s);
                if self.warmed_up {
                    self.tally.downtime_h += self.now - since.max(self.model.warmup_h);
                }
            }
            FailedDeploy::Break => self.new_rollback(s, self.rollback_work[s]),
        }
    }
}
