import type { Page } from 'playwright-core';
import { appAndTwoPeople, pollUntil } from '../support/browser';
import { meetInConsultation } from '../support/demo-driver';

const PDF = Buffer.from(
  '%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n',
  'latin1',
);

// The chat beside the video (docs/chat.md, docs/demo.md): in two Chromium pages, the patient
// writes a message that looks like markup and sends a file; the doctor's page shows the text
// as text, downloads the file, and the patient's page shows the message read.
describe('browser: chat beside the video', () => {
  const on = appAndTwoPeople();

  const texts = (page: Page) =>
    page.getByTestId('chat-messages').locator('[data-testid="chat-text"]').allTextContents();

  it('sends a message and a file between two pages, text shown as text, with a read receipt', async () => {
    await meetInConsultation(on.t, on.pages);
    const { doctor, patient } = on.pages;
    const hostile = '<img src=x onerror="window.__pwned=1"> ağrı <b>2 gün</b>';

    await patient.getByTestId('chat-input').fill(hostile);
    await patient.getByTestId('chat-send').click();
    await pollUntil(
      'the doctor to see the message',
      () => texts(doctor),
      (t) => t.includes(hostile),
    );
    // Shown as text: no element was made of it, nothing ran.
    expect(await doctor.getByTestId('chat-messages').locator('img, b').count()).toBe(0);
    expect(await doctor.evaluate('window.__pwned')).toBeUndefined();

    await patient.getByTestId('chat-file').setInputFiles({
      name: 'lab-report.pdf',
      mimeType: 'application/pdf',
      buffer: PDF,
    });
    const file = doctor.getByTestId('chat-attachment');
    await pollUntil(
      'the doctor to see the file',
      () => file.count(),
      (n) => n === 1,
    );
    expect(await file.textContent()).toContain('lab-report.pdf');
    const [download] = await Promise.all([doctor.waitForEvent('download'), file.click()]);
    expect(download.suggestedFilename()).toBe('lab-report.pdf');

    // The doctor's page marked what it showed as read; the patient's page says so.
    await pollUntil(
      'the patient to see their messages read',
      () =>
        patient.locator('[data-testid="chat-message"][data-mine="true"][data-read="true"]').count(),
      (n) => n === 2,
    );
  });
});
