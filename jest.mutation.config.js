// Jest config for mutation testing (stryker.config.js): the unit project of jest.config.js only. An e2e pass per
// mutant would take hours, so every security decision Stryker mutates must be reachable from a unit spec.
const { projects } = require('./jest.config');

const unit = projects.find((project) => project.displayName === 'unit');

module.exports = { ...unit, displayName: undefined };
