# Login attempts counted before the password is checked (ipfin.accounts.throttle). LoginFailure is
# renamed, not replaced, so that the failures already recorded stay (as outcome "failed").

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0003_idempotent_request'),
    ]

    operations = [
        migrations.RenameModel(old_name='LoginFailure', new_name='LoginAttempt'),
        migrations.AddField(
            model_name='loginattempt',
            name='outcome',
            field=models.CharField(choices=[('pending', '核验中'), ('failed', '失败'), ('succeeded', '成功'), ('refused', '因锁定拒绝')], default='failed', max_length=16),
            preserve_default=False,
        ),
        migrations.AddIndex(
            model_name='loginattempt',
            index=models.Index(fields=['username', 'at'], name='login_attempt_username_at'),
        ),
        migrations.AddIndex(
            model_name='loginattempt',
            index=models.Index(fields=['ip_address', 'at'], name='login_attempt_address_at'),
        ),
        migrations.CreateModel(
            name='LoginThrottle',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('scope', models.CharField(choices=[('username', '用户名'), ('address', '客户端地址')], max_length=8)),
                ('key', models.CharField(max_length=150)),
                ('last_attempt_at', models.DateTimeField()),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('scope', 'key'), name='login_throttle_scope_key')],
            },
        ),
    ]
