//! Missing inputs: the readiness check at the commitment point, asking for an input, and the
//! answerers who supply inputs one request at a time in their working hours.

use super::Event;
use super::state::{CardState, NONE, Sim};

/// Somebody who supplies missing inputs, one request at a time.
#[derive(Debug, Clone, Copy)]
pub(super) struct Answerer {
    /// The card whose input is being answered, or NONE.
    pub(super) card: u32,
    /// Work left on the answer (hours), as of `since`.
    pub(super) left: f64,
    /// When `left` was last brought up to date (hours).
    pub(super) since: f64,
    /// Bumped when the answer pauses or resumes: an `AnswerDone` event with an older version
    /// is stale.
    pub(super) version: u32,
}

impl Sim<'_> {
    /// A readiness check at the commitment point: true when a missing input is detected (the
    /// card then goes to clarification, holding nobody).
    pub(super) fn readiness_gap(&mut self, slot: u32) -> bool {
        let Some(p) = self.policy.readiness_check else {
            return false;
        };
        let c = &mut self.ws.cards[slot as usize];
        if !c.input_pending || c.detection_draw >= p {
            return false;
        }
        c.state = CardState::Clarify;
        self.n_clarify += 1;
        c.input_pending = false;
        // Waiting for clarification is waiting on an input: it counts in blocked card-hours
        // and in the blocker rate as a block while held does (without `blocked`, since
        // nobody holds the card).
        c.block_since = self.now;
        c.ever_blocked = true;
        self.request_input(slot);
        true
    }

    /// Asks for a card's missing input: it arrives after the card's delay, or, when people
    /// answer inputs, once one of them has worked through the queue to it.
    pub(super) fn request_input(&mut self, slot: u32) {
        self.ws.cards[slot as usize].input_asked = self.now;
        if self.ws.answerers.is_empty() {
            let t = self.now + self.ws.cards[slot as usize].input_delay;
            self.ws.queue.push(t, Event::Unblock { card: slot });
        } else {
            self.ws.answer_queue.push_back(slot);
            self.start_answers();
        }
    }

    /// Free answerers take the next requests (only in working hours).
    pub(super) fn start_answers(&mut self) {
        if !self.answering {
            return;
        }
        for k in 0..self.ws.answerers.len() {
            if self.ws.answerers[k].card != NONE {
                continue;
            }
            let Some(slot) = self.ws.answer_queue.pop_front() else {
                return;
            };
            let left = self.ws.cards[slot as usize].input_delay;
            let a = &mut self.ws.answerers[k];
            a.card = slot;
            a.left = left;
            self.resume_answer(k);
        }
    }

    fn resume_answer(&mut self, k: usize) {
        let a = &mut self.ws.answerers[k];
        a.since = self.now;
        a.version = a.version.wrapping_add(1);
        let (t, version) = (self.now + a.left, a.version);
        self.ws.queue.push(
            t,
            Event::AnswerDone {
                answerer: k as u32,
                version,
            },
        );
    }

    /// The answerers' day ends: answers in progress pause, except those completing at this
    /// very instant, which are delivered now (their `AnswerDone`, at the same time but
    /// scheduled after this event, would find them paused). Returns whether any was.
    pub(super) fn answers_off(&mut self) -> bool {
        self.answering = false;
        let mut delivered = false;
        for k in 0..self.ws.answerers.len() {
            let a = &mut self.ws.answerers[k];
            if a.card == NONE {
                continue;
            }
            a.left = (a.left - (self.now - a.since)).max(0.0);
            a.version = a.version.wrapping_add(1);
            if a.left <= 1e-9 {
                let card = a.card;
                a.card = NONE;
                self.unblock(card);
                delivered = true;
            }
        }
        delivered
    }

    pub(super) fn answers_on(&mut self) {
        self.answering = true;
        for k in 0..self.ws.answerers.len() {
            if self.ws.answerers[k].card != NONE {
                self.resume_answer(k);
            }
        }
        self.start_answers();
    }
}
