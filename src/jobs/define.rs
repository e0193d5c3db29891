//! [`scheduled_job!`](crate::scheduled_job): one declaration per job instead of a
//! hand-written [`Job`](super::Job) impl.

/// Declares a job: a unit struct and its [`Job`](crate::jobs::Job) impl, from the name,
/// the default cron expression, the description and the body, an
/// `async fn(&AppState, &RunContext) -> Result<Counts, JobFailure>`.
#[macro_export]
macro_rules! scheduled_job {
    ($(#[$m:meta])* $vis:vis struct $job:ident {
        name: $name:literal,
        cron: $cron:literal,
        description: $description:literal,
        run: $body:path $(,)?
    }) => {
        $(#[$m])*
        $vis struct $job;

        impl $crate::jobs::Job for $job {
            fn name(&self) -> &'static str {
                $name
            }

            fn description(&self) -> &'static str {
                $description
            }

            fn default_cron(&self) -> &'static str {
                $cron
            }

            fn run<'a>(
                &'a self,
                state: &'a $crate::app::AppState,
                run: &'a $crate::jobs::RunContext,
            ) -> ::futures::future::BoxFuture<
                'a,
                ::std::result::Result<$crate::jobs::Counts, $crate::jobs::JobFailure>,
            > {
                ::std::boxed::Box::pin($body(state, run))
            }
        }
    };
}
