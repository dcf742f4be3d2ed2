// e2e specs boot whole applications (PGlite, argon2, child processes); a project-level testTimeout is not
// honoured by jest for projects, so it is set here for every e2e file.
jest.setTimeout(60_000);
