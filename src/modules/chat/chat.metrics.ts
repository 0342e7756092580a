import { Injectable } from '@nestjs/common';
import type { Histogram } from 'prom-client';
import { MetricsService } from '../../infra/metrics/metrics.service';

// Where a chat send spends its time (docs/chat.md, "Delivery"), per stage:
// - `queue`: a message waiting in its room's queue for its group's work (the turns and groups
//   before it on this instance);
// - `read`: a group's room read in the turn, with the room's lock for a turn's first group
//   (issued beside the previous group's insert when pipelined, so it includes that wait);
// - `insert`: a group's numbered insert and its durable commit (with its file claims);
// - `publish`: Redis accepting a group's publication;
// - `send`: a whole send, from its checks to its answer.
export type ChatSendStage = 'queue' | 'read' | 'insert' | 'publish' | 'send';

const SECONDS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

@Injectable()
export class ChatMetrics {
  private readonly stages: Histogram<'stage'>;

  constructor(metrics: MetricsService) {
    this.stages = metrics.histogram(
      'hekim_chat_send_stage_seconds',
      'Time a chat send spends per stage: queue, read, insert, publish, and the whole send',
      ['stage'],
      SECONDS,
    );
  }

  // Records the time since `since` (performance.now() milliseconds) for that stage.
  since(stage: ChatSendStage, since: number): void {
    this.stages.observe({ stage }, (performance.now() - since) / 1000);
  }
}
