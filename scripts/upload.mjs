// `npm run preview` / `npm run upload`: the official miniprogram-ci, for a user with a code-upload key
// (公众平台 → 开发管理 → 开发设置 → 小程序代码上传: download the key, and add this machine's IP to the
// whitelist or turn it off). Needs the network; never run in CI here.
//   MP_UPLOAD_KEY=path/to/private.wx….key npm run preview   # prints a QR code to scan with WeChat
//   MP_UPLOAD_KEY=… MP_VERSION=1.0.1 MP_DESC="…" npm run upload
// The appid comes from project.config.json (replace touristappid first).
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { prepareSubpackageNpm, projectConfig, root } from './miniprogram-project.mjs';

const require = createRequire(import.meta.url);
const action = process.argv[2];
const key = process.env.MP_UPLOAD_KEY;
const cfg = projectConfig();

function fail(message) {
  console.error(message);
  process.exit(1);
}
if (action !== 'preview' && action !== 'upload') fail('usage: node scripts/upload.mjs preview|upload');
if (!key || !existsSync(key)) fail('Set MP_UPLOAD_KEY to your code-upload key file (公众平台 → 开发管理 → 开发设置 → 小程序代码上传).');
if (cfg.appid === 'touristappid') fail('project.config.json still has appid "touristappid": put your AppID there first.');

const ci = require('miniprogram-ci');
prepareSubpackageNpm();
for (const rel of cfg.setting.packNpmRelationList) {
  await ci.packNpmManually({ packageJsonPath: join(root, rel.packageJsonPath), miniprogramNpmDistDir: join(root, rel.miniprogramNpmDistDir) });
}
const project = new ci.Project({
  appid: cfg.appid,
  type: 'miniProgram',
  projectPath: root,
  privateKeyPath: resolve(key),
  ignores: ['node_modules/**/*', '**/node_modules/**/*'],
});
const common = { project, desc: process.env.MP_DESC ?? `${action} from miniprogram-ci`, setting: { useProjectConfig: true }, onProgressUpdate: () => undefined };
try {
  if (action === 'preview') {
    const qr = join(root, '.build', 'preview-qrcode.jpg');
    await ci.preview({ ...common, qrcodeFormat: 'terminal', qrcodeOutputDest: qr });
    console.log('preview ready: scan the code above with WeChat');
  } else {
    const version = process.env.MP_VERSION ?? require(join(root, 'package.json')).version;
    await ci.upload({ ...common, version });
    console.log(`uploaded version ${version}: set it as 体验版 or submit it for review in 公众平台 → 版本管理`);
  }
  process.exit(0);
} catch (e) {
  fail(`${action} failed: ${e?.message ?? e}`);
}
