//! The runtime pool: a few sessions ([`super::session`]) serve every job of a run, each bound
//! to one release and serving its jobs one after the other, each job in a fresh interpreter;
//! as many at once as the machine has cores (at most four). The one entry is [`run`]: jobs in
//! (each a staged install set of one release), outcomes out, in order. The caller does not
//! know whether a snapshot, a fresh start or a process of its own served a job.

use std::collections::{HashMap, VecDeque};
use std::path::PathBuf;
use std::sync::Mutex;

use super::protocol::{Job, Outcome};
use super::session::{Session, SessionContext};
use super::{Host, RuntimeError};
use crate::release::Release;

/// One job, and the release whose session serves it.
#[derive(Clone, Copy, Debug)]
pub struct Work<'a> {
    /// The release.
    pub release: &'a Release,
    /// The job (its install set staged for that release).
    pub job: &'a Job,
}

/// How many sessions run at once: as asked, else the cores there are (at most four); no more
/// than the jobs.
fn workers(asked: Option<usize>, jobs: usize) -> usize {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get()).clamp(1, 4);
    asked.unwrap_or(cores).max(1).min(jobs.max(1))
}

/// Runs `work` in `host`'s sessions, a few at a time; each outcome in the order given. A job
/// whose session failed (did not start, crashed, ran past `timeout`) is the runtime's error;
/// the session is dropped and the next job of its release starts another.
pub fn run(host: &dyn Host, work: &[Work<'_>], cx: &SessionContext) -> Vec<Result<Outcome, RuntimeError>> {
    let timeout = cx.timeout;
    let mut queue: VecDeque<usize> = (0..work.len()).collect();
    queue.make_contiguous().sort_by(|a, b| work[*a].release.dir.cmp(&work[*b].release.dir));
    let queue = Mutex::new(queue);
    let results: Mutex<HashMap<usize, Result<Outcome, RuntimeError>>> = Mutex::new(HashMap::new());
    // A session start that makes a release's snapshot is made alone: the others wait, then
    // read it.
    let starting: Mutex<HashMap<PathBuf, std::sync::Arc<Mutex<()>>>> = Mutex::new(HashMap::new());
    std::thread::scope(|scope| {
        for _ in 0..workers(cx.workers, work.len()) {
            scope.spawn(|| {
                let mut session: Option<(PathBuf, Box<dyn Session + '_>)> = None;
                while let Some(index) = queue.lock().ok().and_then(|mut q| q.pop_front()) {
                    let Work { release, job } = work[index];
                    if session.as_ref().is_none_or(|(dir, _)| *dir != release.dir) {
                        session = None;
                        let gate = starting.lock().map(|mut g| g.entry(release.dir.clone()).or_default().clone());
                        let started = match gate {
                            Ok(gate) => {
                                let _alone = gate.lock();
                                host.session(release, cx)
                            }
                            Err(_) => host.session(release, cx),
                        };
                        match started {
                            Ok(s) => session = Some((release.dir.clone(), s)),
                            Err(e) => {
                                if let Ok(mut r) = results.lock() {
                                    r.insert(index, Err(e));
                                }
                                continue;
                            }
                        }
                    }
                    let Some((_, s)) = session.as_mut() else { continue };
                    let outcome = s.run(job, timeout);
                    if outcome.is_err() {
                        session = None;
                    }
                    if let Ok(mut r) = results.lock() {
                        r.insert(index, outcome);
                    }
                }
            });
        }
    });
    let mut results = results.into_inner().unwrap_or_default();
    (0..work.len())
        .map(|i| {
            results.remove(&i).unwrap_or_else(|| Err(RuntimeError::Unsupported { host: host.name(), what: "this job" }))
        })
        .collect()
}
