import { Injectable, Logger, StreamableFile } from '@nestjs/common';
import { createReadStream } from 'node:fs';
import { AppException } from '../../common/errors/app.exception';
import { ErrorCode } from '../../common/errors/error-code';
import { type DemoAsset, defaultDemoDir, indexDemoAssets } from './demo-assets';

@Injectable()
export class DemoService {
  private readonly logger = new Logger(DemoService.name);
  private readonly assets: Map<string, DemoAsset>;

  constructor(dir: string = defaultDemoDir()) {
    this.assets = indexDemoAssets(dir);
    if (!this.assets.has('index.html')) {
      this.logger.warn(`demo page not built (no index.html in ${dir}): run npm run build`);
    }
  }

  open(path: string): StreamableFile {
    const asset = this.assets.get(path);
    if (!asset) throw new AppException(ErrorCode.NotFound, 'No such demo asset.');
    return new StreamableFile(createReadStream(asset.file), { type: asset.contentType });
  }
}
