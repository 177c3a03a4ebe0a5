// The piscina task file: piscina loads plain JavaScript, so this registers tsx in the pool's thread and loads
// the TypeScript task (the packages still resolve to their build, dist/, as in the service's main thread).
require('tsx/cjs/api').register();
module.exports = require('./pool-task-impl.ts');
