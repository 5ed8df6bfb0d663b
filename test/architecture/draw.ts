// npm run architecture: redraws docs/architecture.svg from the imports of src/.
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {layerSvg, REPO} from './layers.js'

writeFileSync(join(REPO, 'docs', 'architecture.svg'), await layerSvg())
console.log('wrote docs/architecture.svg')
