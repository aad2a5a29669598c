-- Launches that survive blocked cookies (issue 25, item 2): when the platform offers its client-side
-- storage (LTI platform storage, lti_storage_target), a login's state is held there instead of in a
-- cookie, and the launch asks the platform's frame for it. Logins in flight keep working: null is a cookie.
ALTER TABLE "lti_login_states" ADD COLUMN "storage_target" TEXT;
