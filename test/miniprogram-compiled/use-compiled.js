// The compiled project's marker, read by test/miniprogram/setup.ts (MINIPROGRAM_ROOT).
const fs = require('node:fs');
const path = require('node:path');

const dir = path.join(__dirname, '..', '..', '.build', 'miniprogram');
if (!fs.existsSync(path.join(dir, 'app.json'))) {
  throw new Error('No compiled mini-program in .build/miniprogram/: run `node scripts/compile-miniprogram.mjs` (npm test does it first)');
}
process.env.MINIPROGRAM_COMPILED_ROOT = dir;
