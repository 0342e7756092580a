import { Controller, Get, Header, Param, StreamableFile } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { Public } from '../../common/auth/public.decorator';
import { DemoService } from './demo.service';

// GET /demo and its static assets (outside the /api/v1 prefix, see configure-app.ts). The
// page is public: it signs in through the API like any other client. The global helmet CSP
// ('self' scripts and styles, ws/wss connects, no inline script) already fits it.
@Public()
@ApiExcludeController()
@Controller('demo')
export class DemoController {
  constructor(private readonly demo: DemoService) {}

  @Get()
  @Header('Cache-Control', 'no-cache')
  page(): StreamableFile {
    return this.demo.open('index.html');
  }

  // Express 5 hands a `*path` wildcard over as its segments.
  @Get('*path')
  @Header('Cache-Control', 'no-cache')
  asset(@Param('path') path: string[]): StreamableFile {
    return this.demo.open(path.join('/'));
  }
}
