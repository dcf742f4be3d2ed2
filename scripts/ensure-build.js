// Runs before `npm start`: builds dist/ when it is missing or older than any file under src/.
const { existsSync, readdirSync, statSync } = require('node:fs');
const { join } = require('node:path');
const { execSync } = require('node:child_process');

const root = join(__dirname, '..');
const entry = join(root, 'dist', 'main.js');
// A build interrupted half-way (nest deletes dist/ first) can leave main.js without its siblings.
const required = [entry, join(root, 'dist', 'cli.js'), join(root, 'dist', 'database', 'migrations', 'meta', '_journal.json')];

function newestMtime(dir) {
  let newest = 0;
  for (const entryName of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entryName.name);
    const mtime = entryName.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs;
    if (mtime > newest) newest = mtime;
  }
  return newest;
}

const sourcesChanged = () => {
  const built = statSync(entry).mtimeMs;
  return [join(root, 'src'), join(root, 'package.json'), join(root, 'tsconfig.json'), join(root, 'tsconfig.build.json')].some(
    (path) => (statSync(path).isDirectory() ? newestMtime(path) : statSync(path).mtimeMs) > built,
  );
};

if (required.some((path) => !existsSync(path)) || sourcesChanged()) {
  process.stdout.write('Building Gatehouse (dist/ is missing or older than src/)…\n');
  execSync('npm run build', { cwd: root, stdio: 'inherit' });
}
