// What jobs.start refuses of an import-labels request before a job is made: an unknown format, a path
// that is not there, an --image-root that is not a folder.
import type { ImportLabelsJobConfig } from '../../../../src-shared/jobConfigs';
import { checkImageRoot } from '../imageRoot';
import { labelFormat } from './labelFormats';
import { listInputs } from './sources';

export function checkLabelImport(config: ImportLabelsJobConfig): void {
  if (config.format !== undefined) labelFormat(config.format);
  listInputs(config.path);
  if (config.imageRoot !== undefined) checkImageRoot(config.imageRoot);
}
